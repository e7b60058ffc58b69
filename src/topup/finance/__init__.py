"""Finance: providers' settlement reports reconciled with the ledger; the trial balance."""
