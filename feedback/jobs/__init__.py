"""Scheduled jobs: the schedule is data (schedule.py), bodies are thin and call services.

Run them with ``flask jobs run`` in a dedicated process; the web app never starts a scheduler.
"""
