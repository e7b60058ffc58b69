"""Staff of the operator: back-office roles, what each may do, and two-factor login."""
