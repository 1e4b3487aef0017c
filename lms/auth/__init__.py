"""Sign-in, activation and sign-out."""
