"""Celery tasks of the subsidy engine: thin, they take ids and call one service."""

import logging

from celery import shared_task

from subsidies import matching, services

logger = logging.getLogger(__name__)


@shared_task(name="subsidies.tasks.match_nightly", ignore_result=True)
def match_nightly() -> int | None:
    """Beat, 02:00: move awards whose publicity has ended on, then start the nightly match.

    A run still going is left alone (and logged).
    """
    services.awards_publicity_end()
    try:
        return matching.match_run_start(trigger="nightly").pk
    except matching.MatchError as error:
        logger.warning("nightly match not started: %s", error)
        return None


@shared_task(name="subsidies.tasks.match_chunk", ignore_result=True, acks_late=True)
def match_chunk_task(chunk_id: int) -> None:
    """One chunk of a run; the run is finished by whichever chunk completes last."""
    matching.chunk_execute(chunk_id=chunk_id)
    matching.chunk_done(chunk_id=chunk_id)


@shared_task(name="subsidies.tasks.enterprise_rematch", ignore_result=True)
def enterprise_rematch_task(enterprise_ids: list[int]) -> None:
    """Re-evaluate enterprises whose facts an import changed."""
    matching.enterprise_rematch(enterprise_ids=enterprise_ids)
