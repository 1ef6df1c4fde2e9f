"""Start a run when files land in the inbox.

Cursor: the signature (size, mtime) of every inbox file seen. Run key: a hash of the new
files' contents, so a batch never triggers twice, even if the cursor is lost.
"""


import json

import dagster as dg

from pipelines.jobs import nightly_job
from pipelines.resources import MdmConfigResource
from sources.watch import changes_since


@dg.sensor(
    name="inbox_file_sensor",
    job=nightly_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,   # off until switched on, like the schedule
    description="Runs the nightly job when new or changed files appear in $MDM_HOME/inbox.",
)
def inbox_file_sensor(context: dg.SensorEvaluationContext, mdm: MdmConfigResource) -> dg.SensorResult:
    seen = json.loads(context.cursor) if context.cursor else {}
    changes = changes_since(mdm.load(), seen)
    cursor = json.dumps(changes.seen, sort_keys=True)
    if not changes.changed:
        return dg.SensorResult(skip_reason=dg.SkipReason("no new files in the inbox"), cursor=cursor)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=changes.batch_key,
                tags={"mdm/trigger": "inbox", "mdm/files": str(len(changes.changed))},
            )
        ],
        cursor=cursor,
    )
