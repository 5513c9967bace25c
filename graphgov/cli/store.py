"""`graphgov store wipe` empties a store after saying what goes and asking; `graphgov store prune` drops
the seen evidence keys of days past the relist window."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from graphgov.cli.common import STORE_HELP, friendly_errors, store_from
from graphgov.stores.neo4j_bulk import ARGS, FIXUPS, export_store
from graphgov.stores.neo4j_bulk_finish import finish_store
from graphgov.stores.wipe import open_wipe


@click.group("store")
def command() -> None:
    """Manage the graph store itself."""


@command.command("wipe", short_help="Delete everything graphgov loaded into the store (asks first).")
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@click.option("--yes", is_flag=True, help="Wipe without asking (needed when no terminal can answer the question).")
@click.option("--quarantine", "quarantine_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Delete this quarantine file too (e.g. .graphgov/quarantine.jsonl). [default: keep it]")
@friendly_errors
def wipe(store_spec: str | None, yes: bool, quarantine_path: Path | None) -> None:
    """Delete everything graphgov loaded into the store, so the next load starts from nothing.

    \b
    Embedded: the store file goes, under its writer lock (a store a load or
    pull is writing is refused, naming it); queries then say there is no
    store until the next load.
    Neo4j: graphgov's nodes, relationships, seen events and checkpoints go,
    in batches; constraints and indexes stay, and so does what Cartography
    wrote (it stamps `lastupdated`, graphgov never does). Stop loads first.
    The quarantine is kept unless --quarantine names it: it records input
    that could not be loaded, into any store, and a reload adds no entry twice.
    """
    with open_wipe(store_spec, quarantine_path) as held:
        plan = held.plan
        if plan.empty:
            click.echo(f"{plan.store} {'is empty' if plan.exists else 'does not exist'}: nothing to wipe")
            return
        click.echo(f"wipe {plan.store}: deletes {plan.deletes()}")
        for path in plan.files:
            click.echo(f"  file  {path}")
        for item in plan.kept:
            click.echo(f"  kept  {item}")
        if not yes:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise click.ClickException("not wiping: no terminal to confirm on; give --yes to wipe without asking")
            click.confirm(f"Delete all of this from {plan.store}?", default=False, abort=True)
        held.run()
    click.echo(f"wiped {plan.store}: deleted {plan.deletes()}")


@command.command("prune", short_help="Forget the seen events of days before a date (keeps the graph).")
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@click.option("--before", "before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Forget the events of days before this one (UTC, the event's own day).")
@friendly_errors
def prune(store_spec: str | None, before: datetime) -> None:
    """Delete the seen keys of events dated before --before, keeping the graph.

    \b
    Every loaded event leaves a key that makes it count once, however often
    it is delivered; on a long-running store they pile up. Prune the days no
    input can bring again (older than the pullers' --relist-days window).
    Completion markers stay (an S3 object, a log event or a file read before
    is still skipped whole), and so do the nodes, relationships and counters.
    A record of a pruned day loaded again from other input counts as new.
    """
    day = before.date().isoformat()
    with store_from(store_spec) as store:
        removed = store.prune_seen(day)
        store.commit()
        click.echo(f"pruned {store.description}: {removed:,} seen event key{'' if removed == 1 else 's'} "
                   f"of days before {day}")
    if removed:
        click.echo(f"note: a record dated before {day} loaded again will count as new (its seen key is gone)")


@command.command("export-neo4j", short_help="Write an embedded store as neo4j-admin bulk-import files.")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@friendly_errors
def export_neo4j(folder: Path, store_spec: str | None) -> None:
    """Write the embedded store's graph and bookkeeping into FOLDER (new or
    empty) as CSV files for `neo4j-admin database import full`.

    \b
    For a first load of a long history into Neo4j: load it into the embedded
    store (the same merge rules, locally), export it, import it offline at
    hundreds of thousands of rows a second, then finish the import through
    Bolt (graphgov store finish-import). Later loads go to Neo4j as usual; the
    seen keys, checkpoints and pending copies travel with the graph, so they
    neither load an event twice nor miss one.
    """
    with store_from(store_spec, read_only=True) as store:
        counts, seconds = export_store(store, folder)
    click.echo(f"exported {store.description} to {folder} in {seconds:.1f} s:")
    click.echo(f"  nodes          {counts.nodes:,} in {counts.node_files} CSV files, with {counts.bookkeeping:,} "
               "seen keys, checkpoints and pending copies")
    click.echo(f"  relationships  {counts.relationships:,} in {counts.relationship_files} CSV files")
    click.echo(f"  through Bolt   {counts.fixup_nodes:,} nodes and {counts.fixup_relationships:,} relationships CSV "
               f"cannot carry ({FIXUPS}), and {len(counts.empty_lists)} properties holding empty lists")
    click.echo("Next, with Neo4j stopped and its database `neo4j` not created yet (neo4j-admin refuses a database "
               "that holds data; --overwrite-destination=true replaces it):")
    click.echo(f"  cd {folder} && neo4j-admin database import full neo4j $(cat {ARGS})")
    click.echo("  (Docker: run it in a container on the same /data volume, with the folder mounted, before `up`)")
    click.echo("Then start Neo4j and check and finish the import:")
    click.echo(f"  graphgov store finish-import {folder} --store bolt://HOST:7687")


@command.command("finish-import", short_help="Check and finish a neo4j-admin import of an export.")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@friendly_errors
def finish_import_command(folder: Path, store_spec: str | None) -> None:
    """Check the Neo4j database holds exactly what neo4j-admin imported from
    FOLDER (graphgov store export-neo4j), then write through Bolt what CSV
    could not carry. Run it once, right after the import; running it again
    changes nothing.
    """
    with store_from(store_spec) as store:
        counts = finish_store(store, folder)
    if counts.already:
        click.echo(f"{store.description}: the import of {folder} was finished before; nothing to do")
        return
    click.echo(f"finished the import of {folder} into {store.description} in {counts.seconds:.1f} s: "
               f"{counts.nodes:,} nodes and {counts.relationships:,} relationships checked, "
               f"{counts.empty_lists:,} nodes and relationships with empty lists set, {counts.fixup_nodes:,} nodes and "
               f"{counts.fixup_relationships:,} relationships written through Bolt")
