"""Intake: what a reporter does from the mini program — session, uploads, submitting, tracking, answering and rating.

Commands change state and flush; read models query and project. The caller commits once."""
