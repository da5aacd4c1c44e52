from portal.accounts.models import ImportRecord
from portal.enterprises import services
from portal.enterprises.management.commands._importing import ImportCommand
from portal.enterprises.models import Source


class Command(ImportCommand):
    help = "导入企业年度数据（CSV/XLSX，按统一社会信用代码和年度新增或更新；有任何错误行则整个文件不导入）"
    service = staticmethod(services.annual_reports_import)
    kind = ImportRecord.Kind.ANNUAL_REPORTS
    default_source = Source.TAX
