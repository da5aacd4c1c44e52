"""What the registry import commands add to every import command: the facts' source and date."""

import datetime as dt

from portal.enterprises.models import Source
from portal.importing import FileImportCommand


class ImportCommand(FileImportCommand):
    default_source = Source.MARKET

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--source", choices=Source.values, default=self.default_source, help="数据来源（默认按导入类型）"
        )
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="数据日期 YYYY-MM-DD（默认今天）")

    def service_options(self, options: dict) -> dict:
        return {"source": options["source"], "as_of": options["as_of"]}
