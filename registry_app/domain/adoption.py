"""Adoption registration: the case model and the Civil Code's conditions, in one import.

The model lives in `adoption_case`, the rule engine in `adoption_rules`; callers (services, the
CLI) import from here.
"""
from registry_app.domain.adoption_case import (
    PUBLIC_NOTICE_DAYS,
    Adoptee,
    Adopter,
    AdoptionCase,
    Assessment,
    Conclusion,
    Consents,
    DissolutionCase,
    MaritalStatus,
    PlacingKind,
    PlacingParty,
    PublicNotice,
    Relationship,
    Situation,
)
from registry_app.domain.adoption_rules import (
    Article,
    ConditionResult,
    Status,
    can_register,
    can_register_dissolution,
    dissolution_refusals,
    established_on,
    evaluate,
    evaluate_dissolution,
    refusals,
)

__all__ = [
    "PUBLIC_NOTICE_DAYS", "Adoptee", "Adopter", "AdoptionCase", "Article", "Assessment", "Conclusion",
    "ConditionResult", "Consents", "DissolutionCase", "MaritalStatus", "PlacingKind", "PlacingParty",
    "PublicNotice", "Relationship", "Situation", "Status", "can_register", "can_register_dissolution",
    "dissolution_refusals", "established_on", "evaluate", "evaluate_dissolution", "refusals",
]
