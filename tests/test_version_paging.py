"""Image versions listed page by page: every page rendered once, in order, with nextLink until the last
(the emulator renders only the requested page, so long lists page in linear time)."""

from __future__ import annotations

RG, GALLERY, IMAGE = "rg-vpage", "vpageGallery", "vpageImage"


def test_image_versions_page_in_order_without_gaps_or_repeats(emu, contoso):
    contoso.group.create(name=RG, location="eastus")
    contoso.sig.create(resource_group=RG, gallery_name=GALLERY)
    contoso.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                        publisher="contoso", offer="o", sku="s", os_type="Linux")
    managed = contoso.group.show(name="images", query="id") + "/providers/Microsoft.Compute/images/ubuntu-base"
    names = [f"1.0.{i}" for i in range(5)]
    for v in names:
        contoso.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                         gallery_image_version=v, managed_image=managed)
    emu.set_page_size(2)
    emu.clear_requests()
    pages = list(contoso.sig.image_version.list(resource_group=RG, gallery_name=GALLERY,
                                                gallery_image_definition=IMAGE, stream=True).by_page())
    assert [[v["name"] for v in page] for page in pages] == [names[0:2], names[2:4], names[4:5]]
    gets = [r for r in emu.requests() if r["method"] == "GET"]
    assert [("$skiptoken=" in r["query"]) for r in gets] == [False, True, True]
    whole = contoso.sig.image_version.list(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE)
    assert [v["name"] for v in whole] == names
    assert all(v["provisioningState"] == "Succeeded" for v in whole)
