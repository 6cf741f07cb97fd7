"""Which police and fire bodies the outturn lists, and whose area each serves: a declared table.

Source of the areas: public knowledge of the 37 territorial police force areas of England outside
London (Home Office police force areas; Police Act 1996, Schedule 1) and of the constituent councils
of each fire and rescue authority (the combination orders under the Fire and Rescue Services Act
2004, and the councils that are their own fire authority). Councils are named by mySociety's
``local-authority-code`` (the ``la_code`` of ``geography.read_geography``), upper tier only: a
district is in its county's area. The names are those of the councils in office from April 2023;
a body's territory did not change when its councils were reorganised (Cumbria, North Yorkshire,
Somerset), so one list serves 2022-23 and 2023-24.

Bodies are matched by E-code; ``outturn_names`` holds each exact name the files use (2023-24 first,
then 2022-23 where it differs), so a renamed or new body is reported, never silently taken or dropped.

Choices, stated once:

* A Police, Fire and Crime Commissioner (Essex, Northamptonshire, North Yorkshire, Staffordshire,
  Cumbria from April 2023) is two corporations sole with two sets of accounts, and the outturn lists
  them as two rows: the police row (line 601) is a ``police`` body, the fire row (line 602) a ``fire``
  body. No row of either file holds both police and fire spending except the GLA's.
* Mayors holding PCC functions: Greater Manchester's and West Yorkshire's police spending is on the
  rows "Greater Manchester Police" and "West Yorkshire Police" (police bodies); their combined
  authorities hold no police line. Greater Manchester's fire service is run by the combined authority
  itself (its row's line 602): only that line comes in, as the fire body "Greater Manchester Fire and
  Rescue (GMCA)"; the rest of the GMCA row (transport, its own central services) is not a fire body's.
* London: the GLA's row holds the Mayor's Office for Policing and Crime (line 601) and the London Fire
  Commissioner (line 602) among its other functions; each comes in as its own body with that one line.
  The GLA's central services cannot be told apart by function, so neither takes any.
* Councils that are their own fire authority (county fire services, Cornwall, the Isles of Scilly,
  Northumberland) or police authority (the City of London) stay ``council`` bodies; with ``--bodies``
  their own line 601/602 comes in as a ``Police``/``Fire and rescue`` service of the council.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Service lines a police or fire body brings: police, fire and rescue, central services.
BODY_LINES = (601, 602, 690)


@dataclass(frozen=True)
class Body:
    e_code: str  # the outturn's E-code
    body_type: str  # "police" or "fire"
    name: str  # the name in the workbook
    outturn_names: tuple[str, ...]  # exact names in the outturn files (2023-24, then 2022-23 if different)
    area: tuple[str, ...]  # la_codes of the upper-tier councils whose area it serves
    lines: tuple[int, ...] = BODY_LINES  # the row's service lines that are this body's own
    note: str = ""


def _pcc(county: str) -> str:
    return f"{county} Police and Crime Commissioner and Chief Constable"


AVON = ("BST", "BAS", "NSM", "SGC")
BEDS = ("BDF", "CBF", "LUT")
BERKS = ("BRC", "RDG", "SLG", "WBK", "WNM", "WOK")
CAMBS = ("CAM", "PTE")
CHESHIRE = ("CHE", "CHW", "HAL", "WRT")
CLEVELAND = ("HPL", "MDB", "RCC", "STT")
CUMBRIA = ("CBD", "WAF")
DERBYS = ("DBY", "DER")
DORSET = ("DST", "BPC")
DURHAM = ("DUR", "DAL")
ESSEX = ("ESS", "SOS", "THR")
GREATER_MANCHESTER = ("BOL", "BUR", "MAN", "OLD", "RCH", "SLF", "SKP", "TAM", "TRF", "WGN")
HAMPSHIRE = ("HAM", "IOW", "POR", "STH")
HUMBERSIDE = ("ERY", "KHL", "NEL", "NLN")
KENT = ("KEN", "MDW")
LANCASHIRE = ("LAN", "BBD", "BPL")
LEICS = ("LEC", "LCE", "RUT")
MERSEYSIDE = ("KWL", "LIV", "SFT", "SHN", "WRL")
NORTH_YORKSHIRE = ("NYE", "YOR")
NORTHANTS = ("NNT", "WNT")
NOTTS = ("NTT", "NGM")
SOUTH_YORKSHIRE = ("BNS", "DNC", "ROT", "SHF")
STAFFS = ("STS", "STE")
TYNE_AND_WEAR = ("NET", "NTY", "STY", "GAT", "SND")
WEST_MIDLANDS = ("BIR", "COV", "DUD", "SAW", "SOL", "WLL", "WLV")
WEST_YORKSHIRE = ("BRD", "CLD", "KIR", "LDS", "WKF")
WILTSHIRE = ("WIL", "SWD")
LONDON_BOROUGHS = (
    "BDG", "BNE", "BEX", "BEN", "BRY", "CMD", "CRY", "EAL", "ENF", "GRE", "HCK", "HMF", "HRY", "HRW", "HAV",
    "HIL", "HNS", "ISL", "KEC", "KTT", "LBH", "LEW", "MRT", "NWM", "RDB", "RIC", "SWK", "STN", "TWH", "WFT",
    "WND", "WSM",
)

POLICE: tuple[Body, ...] = (
    Body("E7050", "police", "Avon and Somerset Police", (_pcc("Avon & Somerset"),), AVON + ("SMT",)),
    Body("E7002", "police", "Bedfordshire Police", (_pcc("Bedfordshire"),), BEDS),
    Body("E7005", "police", "Cambridgeshire Police", (_pcc("Cambridgeshire"),), CAMBS),
    Body("E7006", "police", "Cheshire Police", (_pcc("Cheshire"),), CHESHIRE),
    Body("E7007", "police", "Cleveland Police", (_pcc("Cleveland"),), CLEVELAND),
    Body("E7009", "police", "Cumbria Police", (_pcc("Cumbria"),), CUMBRIA),
    Body("E7010", "police", "Derbyshire Police", (_pcc("Derbyshire"),), DERBYS),
    Body("E7051", "police", "Devon and Cornwall Police", (_pcc("Devon & Cornwall"),),
         ("DEV", "CON", "IOS", "PLY", "TOB")),
    Body("E7012", "police", "Dorset Police", (_pcc("Dorset"),), DORSET),
    Body("E7013", "police", "Durham Police", (_pcc("Durham"),), DURHAM),
    Body("E7015", "police", "Essex Police", (_pcc("Essex"),), ESSEX,
         note="Police, Fire and Crime Commissioner: this is its police body"),
    Body("E7016", "police", "Gloucestershire Police", (_pcc("Gloucestershire"),), ("GLS",)),
    Body("E7042", "police", "Greater Manchester Police", ("Greater Manchester Police",), GREATER_MANCHESTER,
         note="the Mayor of Greater Manchester holds the PCC functions"),
    Body("E7052", "police", "Hampshire Police", (_pcc("Hampshire"),), HAMPSHIRE),
    Body("E7019", "police", "Hertfordshire Police", (_pcc("Hertfordshire"),), ("HRT",)),
    Body("E7020", "police", "Humberside Police", (_pcc("Humberside"),), HUMBERSIDE),
    Body("E7022", "police", "Kent Police", (_pcc("Kent"),), KENT),
    Body("E7023", "police", "Lancashire Police", (_pcc("Lancashire"),), LANCASHIRE),
    Body("E7024", "police", "Leicestershire Police", (_pcc("Leicestershire"),), LEICS),
    Body("E7025", "police", "Lincolnshire Police", (_pcc("Lincolnshire"),), ("LIN",)),
    Body("E7043", "police", "Merseyside Police", (_pcc("Merseyside"),), MERSEYSIDE),
    Body("E7026", "police", "Norfolk Police", (_pcc("Norfolk"),), ("NFK",)),
    Body("E7027", "police", "North Yorkshire Police", (_pcc("North Yorkshire"),), NORTH_YORKSHIRE,
         note="Police, Fire and Crime Commissioner: this is its police body"),
    Body("E7028", "police", "Northamptonshire Police",
         (_pcc("Northamptonshire"), "Northamptonshire Police, Fire and Crime Commissioner Police Authority"),
         NORTHANTS, note="Police, Fire and Crime Commissioner: this is its police body"),
    Body("E7045", "police", "Northumbria Police", (_pcc("Northumbria"),), ("NBL",) + TYNE_AND_WEAR),
    Body("E7030", "police", "Nottinghamshire Police", (_pcc("Nottinghamshire"),), NOTTS),
    Body("E7044", "police", "South Yorkshire Police", (_pcc("South Yorkshire"),), SOUTH_YORKSHIRE),
    Body("E7034", "police", "Staffordshire Police", (_pcc("Staffordshire"),), STAFFS,
         note="Staffordshire Commissioner (police, fire and crime): this is its police body"),
    Body("E7035", "police", "Suffolk Police", (_pcc("Suffolk"),), ("SFK",)),
    Body("E7036", "police", "Surrey Police", (_pcc("Surrey"),), ("SRY",)),
    Body("E7053", "police", "Sussex Police", (_pcc("Sussex"),), ("ESX", "WSX", "BNH")),
    Body("E7054", "police", "Thames Valley Police", (_pcc("Thames Valley"),), ("BUC", "MIK", "OXF") + BERKS),
    Body("E7037", "police", "Warwickshire Police", (_pcc("Warwickshire"),), ("WAR",)),
    Body("E7055", "police", "West Mercia Police", (_pcc("West Mercia"),), ("HEF", "SHR", "TFW", "WOR")),
    Body("E7046", "police", "West Midlands Police", (_pcc("West Midlands"),), WEST_MIDLANDS),
    Body("E7047", "police", "West Yorkshire Police", ("West Yorkshire Police",), WEST_YORKSHIRE,
         note="the Mayor of West Yorkshire holds the PCC functions"),
    Body("E7039", "police", "Wiltshire Police", (_pcc("Wiltshire"),), WILTSHIRE),
    Body("E5100", "police", "Metropolitan Police (MOPAC)", ("Greater London Authority",), LONDON_BOROUGHS,
         lines=(601,), note="the GLA's police line: the Mayor's Office for Policing and Crime; the City of "
         "London has its own force, on the City's own row"),
)


def _cfa(place: str) -> tuple[str, str]:
    """2023-24 says 'Combined Fire and Rescue Authority', 2022-23 'Combined Fire Authority'."""
    return f"{place} Combined Fire and Rescue Authority", f"{place} Combined Fire Authority"


FIRE: tuple[Body, ...] = (
    Body("E6101", "fire", "Avon Fire and Rescue", (_cfa("Avon")[0],), AVON),
    Body("E6102", "fire", "Bedfordshire Fire and Rescue", _cfa("Bedfordshire"), BEDS),
    Body("E6103", "fire", "Royal Berkshire Fire and Rescue", _cfa("Berkshire"), BERKS),
    Body("E6104", "fire", "Buckinghamshire Fire and Rescue",
         (_cfa("Buckinghamshire")[0], "Buckinghamshire & Milton Keynes Combined Fire Authority"), ("BUC", "MIK")),
    Body("E6105", "fire", "Cambridgeshire Fire and Rescue", _cfa("Cambridgeshire"), CAMBS),
    Body("E6106", "fire", "Cheshire Fire and Rescue", _cfa("Cheshire"), CHESHIRE),
    Body("E6107", "fire", "Cleveland Fire and Rescue", _cfa("Cleveland"), CLEVELAND),
    Body("E6135", "fire", "Cumbria Fire and Rescue", ("Cumbria PCC-FRA",), CUMBRIA,
         note="from April 2023 (before: Cumbria County Council's own service)"),
    Body("E6110", "fire", "Derbyshire Fire and Rescue", _cfa("Derbyshire"), DERBYS),
    Body("E6161", "fire", "Devon and Somerset Fire and Rescue",
         ("Devon and Somerset Combined Fire and Rescue Authority", "Devon & Somerset Combined Fire Authority"),
         ("DEV", "PLY", "TOB", "SMT")),
    Body("E6162", "fire", "Dorset and Wiltshire Fire and Rescue",
         ("Dorset and Wiltshire Fire and Rescue Authority", "Dorset and Wiltshire Combined Fire Authority"),
         DORSET + WILTSHIRE),
    Body("E6113", "fire", "Durham Fire and Rescue", _cfa("Durham"), DURHAM),
    Body("E6114", "fire", "East Sussex Fire and Rescue", _cfa("East Sussex"), ("ESX", "BNH")),
    Body("E6115", "fire", "Essex Fire and Rescue",
         (_cfa("Essex")[0], "Essex Police, Fire and Crime Commissioner Fire and Rescue Authority"), ESSEX,
         note="Police, Fire and Crime Commissioner: this is its fire body"),
    Body("E6163", "fire", "Hampshire and Isle of Wight Fire and Rescue",
         ("Hampshire and Isle of Wight Fire and Rescue Authority",), HAMPSHIRE),
    Body("E6118", "fire", "Hereford and Worcester Fire and Rescue", _cfa("Hereford & Worcester"), ("HEF", "WOR")),
    Body("E6120", "fire", "Humberside Fire and Rescue", _cfa("Humberside"), HUMBERSIDE),
    Body("E6122", "fire", "Kent Fire and Rescue", _cfa("Kent"), KENT),
    Body("E6123", "fire", "Lancashire Fire and Rescue", _cfa("Lancashire"), LANCASHIRE),
    Body("E6124", "fire", "Leicestershire Fire and Rescue", _cfa("Leicestershire"), LEICS),
    Body("E6143", "fire", "Merseyside Fire and Rescue",
         ("Merseyside Fire and Rescue Authority", "Merseyside Fire & Rescue Authority"), MERSEYSIDE),
    Body("E6127", "fire", "North Yorkshire Fire and Rescue", _cfa("North Yorkshire"), NORTH_YORKSHIRE,
         note="Police, Fire and Crime Commissioner: this is its fire body"),
    Body("E6128", "fire", "Northamptonshire Fire and Rescue",
         ("Northamptonshire Police, Fire and Crime Commissioner Fire and Rescue Authority",), NORTHANTS,
         note="Police, Fire and Crime Commissioner: this is its fire body"),
    Body("E6130", "fire", "Nottinghamshire Fire and Rescue",
         (_cfa("Nottinghamshire")[0], "Nottinghamshire Fire & Rescue Service"), NOTTS),
    Body("E6132", "fire", "Shropshire Fire and Rescue", _cfa("Shropshire"), ("SHR", "TFW")),
    Body("E6144", "fire", "South Yorkshire Fire and Rescue",
         ("South Yorkshire Fire and Rescue Authority", "South Yorkshire Fire & Rescue Authority"), SOUTH_YORKSHIRE),
    Body("E6134", "fire", "Staffordshire Fire and Rescue", _cfa("Staffordshire"), STAFFS,
         note="Staffordshire Commissioner (police, fire and crime): this is its fire body"),
    Body("E6145", "fire", "Tyne and Wear Fire and Rescue", ("Tyne and Wear Fire and Rescue Authority",),
         TYNE_AND_WEAR),
    Body("E6146", "fire", "West Midlands Fire", ("West Midlands Fire and Rescue Authority",), WEST_MIDLANDS),
    Body("E6147", "fire", "West Yorkshire Fire and Rescue",
         ("West Yorkshire Fire and Rescue Authority", "West Yorkshire Fire & Rescue Authority"), WEST_YORKSHIRE),
    Body("E6348", "fire", "Greater Manchester Fire and Rescue (GMCA)", ("Greater Manchester Combined Authority",),
         GREATER_MANCHESTER, lines=(602,), note="the combined authority's own fire line; the rest of its row "
         "is not a fire body's"),
    Body("E5100", "fire", "London Fire Commissioner", ("Greater London Authority",), LONDON_BOROUGHS + ("LND",),
         lines=(602,), note="the GLA's fire line"),
)

BODIES: tuple[Body, ...] = POLICE + FIRE

#: Councils that are themselves the fire authority (their fire spending is on their own line 602),
#: la_code -> name. Cumbria County Council was until its abolition in April 2023.
COUNCIL_FIRE_AUTHORITIES = {
    "CON": "Cornwall", "GLS": "Gloucestershire", "HRT": "Hertfordshire", "IOS": "Isles of Scilly",
    "LIN": "Lincolnshire", "NFK": "Norfolk", "NBL": "Northumberland", "OXF": "Oxfordshire", "SFK": "Suffolk",
    "SRY": "Surrey", "WAR": "Warwickshire", "WSX": "West Sussex", "CMA": "Cumbria (to March 2023)",
}
#: Councils that are themselves a police authority: the City of London Corporation (City of London Police).
COUNCIL_POLICE_AUTHORITIES = {"LND": "City of London"}

#: The outturn's detailed classes of police and fire bodies (2023-24 spells them out, 2022-23 abbreviates).
POLICE_CLASSES = ("Police", "P")
FIRE_CLASSES = ("Fire", "FR")

SOURCE_AREAS = (
    "Police force areas of England (Home Office; Police Act 1996, Schedule 1) and the constituent councils "
    "of each fire and rescue authority (Fire and Rescue Services Act 2004 combination orders), from public "
    "knowledge; declared in optimizer/importers/police_fire.py"
)
