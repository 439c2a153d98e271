from django.core.management.base import BaseCommand

from notifications.calendar_seed import seed
from notifications.models import CalendarDay
from notifications.workdays import clear_cache


class Command(BaseCommand):
    help = "从 chinese-calendar 数据补充节假日与调休表（不覆盖手工录入的日期）。"

    def handle(self, *args: object, **options: object) -> None:
        added = seed(CalendarDay)
        clear_cache()
        first = CalendarDay.objects.order_by("date").values_list("date", flat=True).first()
        last = CalendarDay.objects.order_by("-date").values_list("date", flat=True).first()
        total = CalendarDay.objects.count()
        self.stdout.write(f"节假日与调休表：新增 {added} 天，现有 {total} 天（{first} 至 {last}）。")
