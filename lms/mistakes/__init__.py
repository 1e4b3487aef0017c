"""The mistake notebook (错题本) pages."""
