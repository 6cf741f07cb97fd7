"""Beyond the one optimal plan: alternatives for the negotiation (SPEC.md section 6) and partner
suggestions (section 7). Both re-solve the plan's own model with a few rows or bounds changed."""
