"""The SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from models.approvals import TermsRequest, TermsRequestState
from models.base import UTCDateTime, utcnow
from models.business import BusinessChat, BusinessConnection, BusinessMessage, ChatLinkState
from models.calendar import CalendarFeed
from models.catalog import Product
from models.company import CompanySetting
from models.customers import Contact, ContactLink, Customer, Lifecycle
from models.history import ChangeEntry
from models.orders import Instalment, Payment, SalesOrder
from models.outbox import CareCampaign, OutboxMessage, OutboxState, ProducerMark
from models.people import Invite, Role, Team, User
from models.quotes import Quote, QuoteLine, QuoteStatus
from models.sales import (
    Attachment,
    ConversationState,
    Deal,
    DealStageChange,
    DealTotal,
    DealValueChange,
    LostReason,
    PipelineStage,
    ScratchData,
    Timeframe,
    Touch,
    TouchKind,
)
from models.service import ContactQuestion, Ticket, TicketKind, TicketStatus
from models.templates import MessageTemplate

__all__ = [
    "Attachment",
    "BusinessChat",
    "BusinessConnection",
    "BusinessMessage",
    "CalendarFeed",
    "CareCampaign",
    "ChangeEntry",
    "ChatLinkState",
    "CompanySetting",
    "Contact",
    "ContactLink",
    "ContactQuestion",
    "ConversationState",
    "Customer",
    "Deal",
    "DealStageChange",
    "DealTotal",
    "DealValueChange",
    "Instalment",
    "Invite",
    "Lifecycle",
    "LostReason",
    "MessageTemplate",
    "OutboxMessage",
    "OutboxState",
    "Payment",
    "PipelineStage",
    "ProducerMark",
    "Product",
    "Quote",
    "QuoteLine",
    "QuoteStatus",
    "Role",
    "SalesOrder",
    "ScratchData",
    "Team",
    "TermsRequest",
    "TermsRequestState",
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
