"""The families of rows in the program: one per ``define_*`` of ``optimizer.model.build``, and
those the solve adds. ``Matrix.family`` carries each row's, so a dual, a cut or an infeasibility
can say what kind of row it is."""

COVERAGE = "coverage"  # each (council, service) at most once
STAFF_CAP = "staff_cap"
SHARED_SERVICE_CAP = "shared_service_cap"
INVESTMENT_BUDGET = "investment_budget"
PARTNER_LINK = "partner_link"  # a pair's partnerships of one service at most its link (model.partners)
PARTNER_CAP = "partner_cap"  # a council's distinct partners within its max_partners
COUNT_CUT = "count_cut"  # model.cuts: partnerships of each size a connected area can hold
POOL_SIZE = "pool_size"  # model.pools: a pool's members make whole groups
TARGET = "target"
ROUNDING_CUT = "rounding_cut"  # model.cuts.violated_count_cuts, added by the solve as an LP breaks them
AIM_TIE = "aim_tie"  # an earlier aim's value, kept within its tie by the later aims
ROW_FAMILIES = (COVERAGE, STAFF_CAP, SHARED_SERVICE_CAP, INVESTMENT_BUDGET, PARTNER_LINK, PARTNER_CAP, COUNT_CUT, POOL_SIZE, TARGET, ROUNDING_CUT, AIM_TIE)
