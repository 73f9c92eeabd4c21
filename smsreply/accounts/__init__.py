"""Accounts and who may use them: manager users, their sessions and the throttle on password
guessing, API and callback credentials, and the reasons written in the credit ledger.
"""
