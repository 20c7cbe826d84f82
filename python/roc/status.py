"""Placeholder until status lands (issue 11, helper "observe")."""


class StatusUpdater:
    pass


class StatusSubscription:
    pass


class StatusUpdate:
    pass
