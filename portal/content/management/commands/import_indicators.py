from portal.accounts.models import ImportRecord
from portal.content import services
from portal.importing import FileImportCommand


class Command(FileImportCommand):
    help = "导入经济指标（CSV，按期间和指标名新增或更新；有任何错误行则整个文件不导入）"
    service = staticmethod(services.indicators_import)
    kind = ImportRecord.Kind.INDICATORS
    file_help = "CSV 文件"
