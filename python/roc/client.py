"""Placeholder until the client lands (issue 11, helper "client"): the names roc/__init__ imports."""


class Client:  # replaced wholesale by the client module
    pass


class ObjectProxy:
    pass
