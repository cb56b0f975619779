"""The SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from models.base import UTCDateTime, utcnow
from models.catalog import Product
from models.customers import Contact, ContactLink, Customer, Lifecycle, RecordChange
from models.orders import Instalment, Payment, SalesOrder
from models.outbox import CareCampaign, OutboxMessage, OutboxState
from models.people import Invite, Role, Team, User
from models.quotes import Quote, QuoteLine, QuoteStatus
from models.sales import (
    Attachment,
    ConversationState,
    Deal,
    DealStageChange,
    DealValueChange,
    LostReason,
    PipelineStage,
    ScratchData,
    Timeframe,
    Touch,
    TouchKind,
)
from models.service import Ticket, TicketKind, TicketStatus

__all__ = [
    "Attachment",
    "CareCampaign",
    "Contact",
    "ContactLink",
    "ConversationState",
    "Customer",
    "Deal",
    "DealStageChange",
    "DealValueChange",
    "Instalment",
    "Invite",
    "Lifecycle",
    "LostReason",
    "OutboxMessage",
    "OutboxState",
    "Payment",
    "PipelineStage",
    "Product",
    "Quote",
    "QuoteLine",
    "QuoteStatus",
    "RecordChange",
    "Role",
    "SalesOrder",
    "ScratchData",
    "Team",
    "Ticket",
    "TicketKind",
    "TicketStatus",
    "Timeframe",
    "Touch",
    "TouchKind",
    "UTCDateTime",
    "User",
    "utcnow",
]
