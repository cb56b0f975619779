"""The SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from models.base import UTCDateTime, money, utcnow
from models.customers import Contact, Customer
from models.people import Invite, Role, Team, User

__all__ = [
    "Contact",
    "Customer",
    "Invite",
    "Role",
    "Team",
    "UTCDateTime",
    "User",
    "money",
    "utcnow",
]
