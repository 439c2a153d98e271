"""What of the campaigns goes to the 回收站 (see trash/registry.py): a task with its subtasks and progress reports."""

from trash.registry import register

from .models import Task

register(Task, kind="任务", organization=lambda t: t.campaign.unit, title=lambda t: t.title)
