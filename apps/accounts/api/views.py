"""API: who am I (a pipeline checks its token and role with it)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import MeSerializer


class MeView(APIView):
    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)
