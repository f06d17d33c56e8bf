"""A customer's data, theirs: everything held about one customer as a zip (``export``),
and erasing a customer on request (``erasure``). Both are for staff with the
customer_data capability, and both are audited."""
