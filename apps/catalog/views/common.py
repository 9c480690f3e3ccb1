"""What the catalog pages share: a 404 for what is not there or not visible, sortable filtered lists, and forms
whose valid data goes to one service function."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from apps.catalog.forms import filter_helper
from apps.core.forms import add_service_error

PAGE_SIZE = 50


def found(obj):
    """`obj`, or a 404 when the selector found nothing the user may see."""
    if obj is None:
        raise Http404("Not found.")
    return obj


def sort_links(request, fields: list[str]) -> dict[str, dict]:
    """For each sortable column: the URL that sorts by it (toggling direction) and its current direction."""
    current = request.GET.get("ordering", "")
    links = {}
    for field in fields:
        params = request.GET.copy()
        params.pop("page", None)
        params["ordering"] = f"-{field}" if current == field else field
        direction = "asc" if current == field else "desc" if current == f"-{field}" else ""
        links[field] = {"url": f"?{params.urlencode()}", "direction": direction}
    return links


class FilteredListView(LoginRequiredMixin, TemplateView):
    """A list filtered by its FilterSet (the one the API uses), sortable and paginated."""

    filterset_class = None
    sort_fields: list[str] = []

    def base_queryset(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filterset = self.filterset_class(self.request.GET or None, queryset=self.base_queryset(), request=self.request)
        qs = filterset.qs if filterset.is_bound else filterset.queryset
        page = Paginator(qs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx.update(
            filterset=filterset,
            filter_helper=filter_helper(filterset.form),
            page_obj=page,
            rows=page.object_list,
            sort=sort_links(self.request, self.sort_fields),
            query_without_page=params.urlencode(),
        )
        return ctx


class ServiceFormView(LoginRequiredMixin, FormView):
    """A form whose valid data goes to one service function; its ValidationErrors come back onto the form. The page
    is titled by `get_title()` and its Cancel link goes to `get_cancel_url()`."""

    template_name = "catalog/form.html"
    success_message = "Saved."

    def check_permission(self) -> bool:
        return False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.load_objects()
            if not self.check_permission():
                raise PermissionDenied("You may not change this.")
        return super().dispatch(request, *args, **kwargs)

    def load_objects(self) -> None:
        """Look up the objects of the URL (404 when not there)."""

    def get_title(self) -> str:
        raise NotImplementedError

    def get_cancel_url(self) -> str:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": self.get_title(), "cancel_url": self.get_cancel_url()}

    def save(self, data: dict):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.saved = self.save(form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(self.request, self.success_message.format(obj=self.saved))
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
