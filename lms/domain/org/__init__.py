"""The organisation: the unit tree, accounts and passwords, roster imports, and the one
authorization policy; no Flask.

Entry points: `policy` (who may see or do what), `accounts` (sign-in, activation, tokens),
`directory` (units and users for the admin pages), `orgimport` and `roster` (CSV imports),
`units` and `useradmin` (an admin's edits of the tree and of one account), `rosterconfirm`
(the roster import in two steps, previewed by `rosterpreview`, its files in `rosterfiles`)."""
