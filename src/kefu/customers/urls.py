from django.urls import path

from kefu.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.create, name="create"),
    path("models/", views.model_options, name="model_options"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("<int:pk>/life-events/new/", views.life_event_create, name="life_event_create"),
]
