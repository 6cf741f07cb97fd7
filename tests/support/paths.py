"""Where the repository's shipped files are, for tests in any folder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "inputs"
DATA = ROOT / "data"
WEST_MIDLANDS = INPUTS / "west_midlands.xlsx"
TRI_BOROUGH = INPUTS / "tri_borough.xlsx"
