"""The text and numbers of an SMS: segments and encodings, phone numbers, STOP words, NULs."""
