"""Purchase orders: issue, seller acceptance, deliveries, receipt, acceptance, invoice, payment."""
