"""The organisation: the unit tree, accounts and passwords, roster imports, and the one
authorization policy; no Flask.

Entry points: `policy` (who may see or do what), `accounts` (sign-in, activation, tokens),
`directory` (units and users for the admin pages), `orgimport` (CSV imports)."""
