"""Chinese labels for statuses and timeline actions shown to users."""

from feedback.workflow import ASSIGNMENT_STATUS_LABELS, FEEDBACK_STATUS_LABELS  # noqa: F401 (re-exported)

# What the reporter reads in the timeline for each event action.
REPORTER_ACTION_LABELS = {
    "submitted": "已收到您的反映",
}
