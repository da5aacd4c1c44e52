"""The registry's pieces of the API that other parts embed."""

from rest_framework import serializers

from portal.enterprises.models import Enterprise


class EnterpriseRefSerializer(serializers.ModelSerializer):
    """An enterprise as other resources point to it: id, USCC and name."""

    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "name"]
        read_only_fields = fields
