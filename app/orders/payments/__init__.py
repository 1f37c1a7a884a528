"""Payments: one provider interface (Stripe, offline bank transfer, development sandbox), the
Stripe webhook with stored events, and the job that applies them to orders."""
