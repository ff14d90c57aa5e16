"""Customer-facing messages, verbatim from the Filecheck docs section pages.

``{...}`` placeholders are filled by :func:`fill` from the violation's values and the check's
settings (``{target.x}`` falls back to setting ``x``).
"""

from __future__ import annotations

import re
from typing import Any


def _m(issue: str, fix: str, autofix: str | None = None) -> dict[str, str]:
    out = {"issue": issue, "fix": fix}
    if autofix:
        out["autofix"] = autofix
    return out


MESSAGES: dict[str, dict[str, str]] = {
    # Page checks
    "page_count": _m(
        "Your file has the wrong number of pages. It has {actual.pageCount}, but this product requires {target.min}–{target.max}.",
        "Adjust your document so it has the required number of pages, then re-export and upload again.",
    ),
    "page_size": _m(
        "Your page size doesn't match what this product needs. Your file is {width} × {height} mm, but we need {target.width} × {target.height} mm.",
        "Resize your document to the correct dimensions and re-upload.",
    ),
    "orientation": _m(
        "Your page orientation doesn't match what's expected for this product. We expected {target.allowed} orientation.",
        "Rotate your document to the correct orientation and re-export.",
    ),
    "bleed": _m(
        "Your file is missing or has incorrect bleed. We need {target.required_mm} mm on every side.",
        "Add at least {target.required_mm} mm of bleed on every side and re-export.",
        "We'll add the missing bleed automatically before printing.",
    ),
    "trimbox": _m(
        "Your file is missing or has an incorrect trim box. We need {target.required_mm} mm on every side.",
        "Add a correct trim box to your document and re-export.",
        "We'll add the missing trim box automatically before printing.",
    ),
    "safety_margin": _m(
        "Some of your text or important content sits too close to the edge and may be trimmed off. Keep it at least {target.min_mm} mm from the cut line.",
        "Move important content away from the edges and re-upload.",
    ),
    "page_rotation": _m(
        "One or more pages are rotated unexpectedly.",
        "Straighten the rotated pages and re-export your file.",
        "We'll straighten the rotated pages automatically before printing.",
    ),
    "consistent_page_sizes": _m(
        "Not all pages in your file are the same size. Every page needs to share the same dimensions.",
        "Make all pages the same size and re-export your file.",
    ),
    "page_layout": _m(
        "Your pages are laid out as {actual.layout}, but this product expects {target.mode}.",
        "Re-arrange your pages as {target.mode} and re-export.",
        "We'll re-arrange the layout automatically before printing.",
    ),
    # Colors
    "color_mode": _m(
        "Your file contains {actual.found} colors, but we require files to be in {target.allowed} color mode only.",
        "Convert your document to {target.allowed} and re-upload.",
        "We'll convert your colors to {target.allowed} automatically before printing.",
    ),
    "ink_coverage": _m(
        "Some areas use too much ink ({actual.percent}%), which can smear or dry slowly. The limit for this product is {target.percent}%.",
        "Reduce the density of your darkest areas and re-export.",
    ),
    "spot_colors": _m(
        "Your file uses {actual.count} spot colors ({actual.names}), but this product requires {target.max_count} spot colors maximum.",
        "Convert the excess spot colors to CMYK and re-upload.",
    ),
    "output_intent": _m(
        "Your file is missing a color profile that tells us how to reproduce its colors accurately.",
        "Re-export with an embedded output intent (color profile) and upload again.",
        "We'll add the expected color profile automatically before printing.",
    ),
    "icc_profile": _m(
        "Your file uses a color profile we don't support.",
        "Re-export using a standard print color profile and upload again.",
        "We'll convert it to a standard print profile automatically before printing.",
    ),
    "rich_black": _m(
        "Some black text is built from all four inks, which can look blurry on press. It should be 100% black (K) only.",
        "Set the affected black to 100% K only and re-export.",
        "We'll set the affected black to pure K automatically before printing.",
    ),
    "overprint": _m(
        "Your file has overprint settings that may cause some elements to disappear when printed.",
        "Check the overprint settings in your design app and re-export.",
    ),
    # Fonts, text & strokes
    "fonts_embedded": _m(
        "Your file uses fonts that aren't included in it, so we can't guarantee your text prints correctly.",
        "Re-export your file with all fonts embedded, or convert your text to outlines.",
        "We'll embed the missing fonts automatically before printing.",
    ),
    "font_subsetting": _m(
        "Your file embeds full font files, which makes it larger than it needs to be.",
        "Re-export with font subsetting enabled.",
        "We'll subset the fonts automatically before printing.",
    ),
    "min_font_size": _m(
        "Some texts are too small ({actual.min_pt} pt) and may not be readable when printed. The minimum for this product is {target.pt} pt.",
        "Increase the size of any important small text and re-upload.",
    ),
    "min_stroke_width": _m(
        "Your file has very thin lines that may not print visibly. Lines should be at least {target.pt} pt thick.",
        "Increase thin lines to at least {target.pt} pt and re-export.",
        "We'll thicken the hairline strokes automatically before printing.",
    ),
    "font_types": _m(
        "Your file uses a font format that isn't supported for printing.",
        "Convert your fonts to TrueType or OpenType and re-export.",
    ),
    "text_outlines": _m(
        "This product needs all text converted to outlines (curves) before printing.",
        "Convert all text to outlines (curves) and re-export.",
        "We'll convert your text to outlines automatically before printing.",
    ),
    "text_safe_zone": _m(
        "Some text is too close to the cut edge and may be trimmed off. Keep it at least {target.safe_zone_pt} pt inside the trim line.",
        "Move text further from the edges and re-upload.",
    ),
    # Images
    "image_min_resolution": _m(
        "One or more images are too low-resolution ({actual.min} DPI) and will look blurry in print. The minimum is {target.effective} DPI at print size.",
        "Replace the low-resolution images with higher-resolution versions and re-upload.",
    ),
    "image_max_resolution": _m(
        "Some images have higher resolution than needed ({actual.max} DPI), which makes your file larger without improving print quality.",
        "Downsample the oversized images and re-upload.",
        "We'll downsample the oversized images automatically before printing.",
    ),
    "image_color_mode": _m(
        "One or more images are in {actual.colorspaces} color space, but we require images to be in {target.allowed} for this product.",
        "Convert the images to {target.allowed} and re-upload.",
    ),
    "image_compression": _m(
        "Your file contains images saved with a compression format we don't support.",
        "Re-save the images with a supported compression format and re-upload.",
        "We'll re-encode the images with supported compression automatically before printing.",
    ),
    "image_bit_depth": _m(
        "One or more images have too low a color depth, which can cause banding. Use {target.min}-bit or higher.",
        "Re-save your images at a higher bit depth and re-upload.",
    ),
    # PDF structure
    "transparency": _m(
        "Your file uses live transparency, which can produce unexpected results on some presses.",
        "Flatten transparency and re-export your file.",
        "We'll flatten the transparency automatically before printing.",
    ),
    "layers": _m(
        "Your file contains layers, which can change how it prints.",
        "Flatten all layers and re-export your file.",
        "We'll flatten the layers automatically before printing.",
    ),
    "annotations": _m(
        "Your file contains annotations such as comments, highlights, or sticky notes that must be removed before printing.",
        "Remove all annotations and re-export.",
        "We'll remove the annotations automatically before printing.",
    ),
    "javascript": _m(
        "Your file contains embedded scripts, which aren't supported for print.",
        "Re-export your file without JavaScript.",
        "We'll strip the scripts automatically before printing.",
    ),
    "attachments": _m(
        "Your PDF has other files attached to it.",
        "Remove all attachments and re-export a clean PDF.",
        "We'll remove the attachments automatically before printing.",
    ),
    "forms": _m(
        "Your file contains interactive form fields.",
        "Flatten the form fields and re-export.",
        "We'll flatten the form fields automatically before printing.",
    ),
    "xfa": _m(
        "Your file contains an XFA dynamic form, which isn't supported for printing.",
        "Convert the XFA form to a standard PDF and re-upload.",
        "We'll convert it to a standard PDF automatically before printing.",
    ),
    "signatures": _m(
        "Your file contains a digital signature, and signed PDFs can't be processed for print.",
        "Remove the digital signature and re-upload.",
        "We'll remove the signature automatically before printing.",
    ),
    "need_appearances": _m(
        "Your file has a setting that may cause form fields to print blank.",
        "Flatten the form fields and re-export your file.",
    ),
    "encryption": _m(
        "Your file is password-protected or encrypted, so we can't process it.",
        "Remove the password protection and re-upload an unlocked PDF.",
        "We'll remove the encryption automatically before printing.",
    ),
    "permissions": _m(
        "Your file has security settings that prevent it from being printed.",
        "Remove the print restriction and re-upload.",
    ),
    "pdf_version": _m(
        "Your file uses PDF version {actual.version}, which may not be fully supported. We recommend {target.min}–{target.max}.",
        "Re-export as PDF {target.min}–{target.max} and upload again.",
        "We'll convert it to a supported PDF version automatically before printing.",
    ),
    "pdfx": _m(
        "This product needs a {target.standard} compliant file — a standard built for reliable print exchange.",
        "Re-export using the {target.standard} setting in your application.",
        "We'll convert your file to {target.standard} automatically before printing.",
    ),
    "pdfa": _m(
        "Your file is saved as PDF/A, which is made for archiving rather than printing.",
        "Re-export as a standard print PDF and upload again.",
    ),
    "pdfvt": _m(
        "Your file uses the PDF/VT variable-data format, which isn't accepted for this product.",
        "Re-export as a standard print PDF and upload again.",
    ),
    "pdfua": _m(
        "Your file includes PDF/UA accessibility tags, which aren't accepted for this product.",
        "Re-export as a standard print PDF without accessibility tags and upload again.",
    ),
    "tagged": _m(
        "Your file doesn't include accessibility structure tags, which are required for this product.",
        "Re-export your file with tagged PDF enabled and upload again.",
    ),
    "structure_integrity": _m(
        "Your file appears to be damaged or has internal errors.",
        "Re-export a fresh PDF from your design application.",
        "We'll repair the file structure automatically before printing.",
    ),
    "linearized": _m(
        "Your file isn't linearized — a structure required by this store for fast delivery.",
        "Re-export with fast web view (linearization) enabled.",
        "We'll linearize the file automatically before printing.",
    ),
    "producer": _m(
        "Your file was created with an application that may not produce print-ready PDFs.",
        "Re-export using recommended print settings and upload again.",
    ),
    # Raster
    "raster_resolution": _m(
        "Your image won't be sharp at the required print size. It works out to {actual.effective_dpi} DPI, but we need at least {target.min_dpi} DPI.",
        "Upload a higher-resolution image so it reaches at least {target.min_dpi} DPI at print size.",
        "We'll AI-enhance your image to the required resolution automatically before printing.",
    ),
    "raster_min_pixels": _m(
        "Your image is smaller than required. You uploaded {actual.width} × {actual.height} pixels, but we need at least {target.min_width} × {target.min_height} pixels.",
        "Upload a higher-resolution image, at least {target.min_width} × {target.min_height} pixels.",
        "We'll enhance your image to the required size automatically before printing.",
    ),
    "raster_max_pixels": _m(
        "Your image is larger than needed ({actual.width} × {actual.height} pixels), which may slow processing without improving print quality.",
        "Resize your image down and re-upload.",
        "We'll resize your image down automatically before printing.",
    ),
    "raster_color_mode": _m(
        "Your image is in {actual.colorspace} color mode, which isn't suitable for this product — we require {target.allowed}.",
        "Convert your image to {target.allowed} color mode and re-upload.",
        "We'll convert your image to a print-ready color mode automatically before printing.",
    ),
    "raster_bit_depth": _m(
        "Your image has low color depth, which can cause banding. Use {target.min}-bit or higher.",
        "Re-save your image at {target.min}-bit or higher and re-upload.",
        "We'll increase the color depth automatically before printing.",
    ),
    "raster_transparency": _m(
        "Your image has a transparent background.",
        "Flatten the transparent background and re-upload.",
        "We'll flatten the transparency automatically before printing.",
    ),
    "raster_background": _m(
        "This product requires an image without a background, but your image appears to have one.",
        "Remove the background from your image and re-upload.",
        "We'll attempt to remove the background automatically before printing.",
    ),
    "raster_file_size": _m(
        "Your image file is too large. The limit for this product is {target.max_mb} MB.",
        "Reduce the file size and try uploading again.",
    ),
    "raster_icc": _m(
        "Your image doesn't include the required {target.expected_profile_name} color profile, so colors may shift when printed.",
        "Embed the correct color profile when saving your image and re-upload.",
        "We'll embed the expected color profile automatically before printing.",
    ),
    "raster_aspect_ratio": _m(
        "Your image isn't the right aspect ratio ({target.ratio}) for this product.",
        "Resize your image to {target.ratio} and re-upload.",
        "We'll resize your image to the correct shape automatically before printing.",
    ),
    "raster_tac": _m(
        "Your image has too much ink in some areas ({actual.max_percent}%), which can cause print defects. The limit is {target.max_percent}%.",
        "Reduce the total ink coverage and re-export.",
        "We'll reduce the ink coverage automatically before printing.",
    ),
}

# Messages for a rule id that needs its own words, not its check's (the check's stay the catalog's).
RULE_MESSAGES: dict[str, dict[str, str]] = {
    # structure_integrity: a reconstruction that lost content, or compressed data that is broken.
    "check_not_run": _m(
        "Your file could not be checked for {check.title}, so it cannot be approved automatically.",
        "Export the PDF again from your design application and upload the new file, or contact the shop.",
    ),
    "content_lost": _m(
        "The file is damaged or incomplete; please export it again.",
        "Export the PDF again from your design application and upload the new file "
        "(if it was copied or downloaded, check that the transfer finished).",
    ),
    # structure_integrity: a stream filter no reader here decodes (e.g. BrotliDecode).
    "compression_unsupported": _m(
        "The file uses a compression this service does not support ({actual.filters}).",
        "Export the PDF again with standard compression (ZIP/Flate or JPEG) and upload the new file.",
    ),
    # raster_resolution without a print size from the job or the profile: not judged, said so.
    "raster_print_size_unknown": _m(
        "We could not check whether your image ({actual.width} × {actual.height} pixels) is sharp enough: "
        "the print size of this product is not known.",
        "The shop should set the product's print size; until then, upload the largest image you have.",
    ),
    # structure_integrity: the file was damaged, and its reconstruction kept everything; the verdict
    # is on the repaired file, and the issue says what was wrong (``repair.describe_damage``).
    "structure_repaired": _m(
        "Your file was damaged ({actual.damage}) and was repaired without losing any content; "
        "it was checked as repaired.",
        "No action is needed. To be safe, export a fresh PDF from your design application.",
        "We'll save the repaired file before printing.",
    ),
}

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value)
    if value is None:
        return "any"
    return str(value)


def fill(template: str | None, values: dict[str, Any], settings: dict[str, Any]) -> str | None:
    """Fill ``{placeholders}``; ``{target.x}`` falls back to setting ``x``; unknown ones stay visible."""
    if template is None:
        return None

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in values:
            return _fmt(values[key])
        if key.startswith("target.") and key[7:] in settings:
            return _fmt(settings[key[7:]])
        return match.group(0)

    return _PLACEHOLDER.sub(sub, template)
