"""What each seller is owed: an append-only ledger (sales, commission, TCS, TDS, refunds,
payouts) and the payout batches an administrator pays through the bank."""
