"""Quotes for any buyer: a request for a quantity of a listing, the seller's offer, one message
thread per quote, and an accepted offer put into the buyer's cart at the agreed price."""
