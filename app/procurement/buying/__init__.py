"""Buying modes above direct purchase: requirements, L1 comparisons, bids (RFQ), split detection."""
