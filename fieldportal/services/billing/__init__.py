"""Money: quotes, invoices, payments, documents (PDF), numbering, amounts."""
