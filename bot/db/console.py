"""Console tables: accounts, one-time sign-in tokens, sign-in attempts and the audit log."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from bot.db.models import _ts

CONSOLE_ROLES = ("officer", "admin")


class ConsoleAccount(SQLModel, table=True):
    """Who may use the console: a roster member (signs in through their messenger) or staff (email + password)."""

    __tablename__ = "console_account"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", unique=True)
    email: str | None = Field(default=None, max_length=200, unique=True)
    name: str = Field(max_length=80)
    role: str = Field(max_length=16)
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    password_hash: str | None = Field(default=None, max_length=200)
    locale: str = Field(default="vi", max_length=8)
    session_version: int = 0
    active: bool = True
    created_at: datetime = _ts(nullable=False)
    last_signin_at: datetime | None = _ts(nullable=True)


class SigninToken(SQLModel, table=True):
    """A one-time sign-in link: only the SHA-256 of the token is stored; valid once, until `expires_at`."""

    __tablename__ = "signin_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="console_account.id", index=True)
    expires_at: datetime = _ts(nullable=False)
    used_at: datetime | None = _ts(nullable=True)


class SigninAttempt(SQLModel, table=True):
    """One sign-in try (link asked for, link used, password typed), counted per account and per address."""

    __tablename__ = "signin_attempt"
    __table_args__ = (
        Index("ix_signin_attempt_account", "account_id", "at"),
        Index("ix_signin_attempt_address", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="console_account.id")
    address: str = Field(max_length=64)
    ok: bool = False
    at: datetime = _ts(nullable=False)


class AuditEntry(SQLModel, table=True):
    """Who did what, when, from where; `unit_path` scopes the entry so officers see their subtree."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_unit_path", "unit_path", postgresql_ops={"unit_path": "text_pattern_ops"}),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False)
    actor_account_id: int | None = Field(default=None, foreign_key="console_account.id")
    actor_name: str = Field(max_length=80)
    action: str = Field(max_length=32)
    target: str = Field(default="", max_length=200)
    unit_path: str | None = Field(default=None, max_length=400)
    address: str = Field(default="", max_length=64)
    detail: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
