"""Placeholder until the asyncio client lands (issue 11, helper "client")."""


class Client:
    pass
