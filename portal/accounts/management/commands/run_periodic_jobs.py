import time

from django.core.management.base import BaseCommand, CommandError

from portal.celery import app


class Command(BaseCommand):
    help = "立即在本进程中运行一遍 Celery beat 计划中的全部定时任务（演示与运维用）"

    def add_arguments(self, parser):
        parser.add_argument("--only", action="append", default=[], help="只运行这些计划名（可重复）")

    def handle(self, *args, **options):
        # Beat and workers import every app's tasks module on start; this command must do the same.
        app.loader.import_default_modules()
        schedule = app.conf.beat_schedule
        names = options["only"] or list(schedule)
        unknown = [n for n in names if n not in schedule]
        if unknown:
            raise CommandError(f"计划中没有：{'、'.join(unknown)}（现有：{'、'.join(schedule) or '无'}）")
        if not names:
            self.stdout.write("计划中没有定时任务。")
        for name in names:
            entry = schedule[name]
            started = time.monotonic()
            self.stderr.write(f"运行 {name}（{entry['task']}）…")
            result = app.tasks[entry["task"]].apply(
                args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
            )
            if result.failed():
                raise CommandError(f"{name} 失败：{result.result!r}")
            self.stdout.write(
                f"{name}：完成，用时 {time.monotonic() - started:.1f} 秒，结果 {result.result!r}"
            )
