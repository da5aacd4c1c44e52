from portal.accounts.models import ImportRecord
from portal.importing import FileImportCommand
from portal.residents import services


class Command(FileImportCommand):
    help = (
        "导入税务局契税数据（CSV/XLSX，每行一位购房人，按网签合同号和身份证号新增或更新；"
        "有任何错误行则整个文件不导入）"
    )
    service = staticmethod(services.deed_tax_import)
    kind = ImportRecord.Kind.DEED_TAX

    def summary(self, report) -> str:
        return report.summary().replace("新增", "购房记录新增")
