"""The XMP schemas predefined by the XMP Specification (2004 edition for PDF/A-1, 2005 for PDF/A-2/3),
with each property's value type, and a value-type checker.

Types are written as in the XMP Specification: ``Text``, ``Integer``, ``Real``, ``Boolean``, ``Date``,
``Rational``, ``URI``, ``Lang Alt``, ``Bag Text``, ``Seq ProperName``, or a structure name.
"""

from __future__ import annotations

import re
from typing import Any

DC = "http://purl.org/dc/elements/1.1/"
XMP = "http://ns.adobe.com/xap/1.0/"
XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
XMP_MM = "http://ns.adobe.com/xap/1.0/mm/"
XMP_BJ = "http://ns.adobe.com/xap/1.0/bj/"
XMP_TPG = "http://ns.adobe.com/xap/1.0/t/pg/"
PDF = "http://ns.adobe.com/pdf/1.3/"
PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
TIFF = "http://ns.adobe.com/tiff/1.0/"
EXIF = "http://ns.adobe.com/exif/1.0/"
AUX = "http://ns.adobe.com/exif/1.0/aux/"
CRS = "http://ns.adobe.com/camera-raw-settings/1.0/"
XMP_DM = "http://ns.adobe.com/xmp/1.0/DynamicMedia/"
XMP_IDQ = "http://ns.adobe.com/xmp/Identifier/qual/1.0/"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
PDFAEXT = "http://www.aiim.org/pdfa/ns/extension/"


def _table(spec: str) -> dict[str, str]:
    out = {}
    for item in spec.split(";"):
        item = item.strip()
        if item:
            name, _, typ = item.partition(":")
            out[name.strip()] = typ.strip()
    return out


_TIFF = _table("""ImageWidth:Integer; ImageLength:Integer; BitsPerSample:Seq Integer; Compression:Integer;
 PhotometricInterpretation:Integer; Orientation:Integer; SamplesPerPixel:Integer; PlanarConfiguration:Integer;
 YCbCrSubSampling:Seq Integer; YCbCrPositioning:Integer; XResolution:Rational; YResolution:Rational;
 ResolutionUnit:Integer; TransferFunction:Seq Integer; WhitePoint:Seq Rational; PrimaryChromaticities:Seq Rational;
 YCbCrCoefficients:Seq Rational; ReferenceBlackWhite:Seq Rational; DateTime:Date; ImageDescription:Lang Alt;
 Make:ProperName; Model:ProperName; Software:AgentName; Artist:ProperName; Copyright:Lang Alt""")

_EXIF = _table("""ExifVersion:Text; FlashpixVersion:Text; ColorSpace:Integer; ComponentsConfiguration:Seq Integer;
 CompressedBitsPerPixel:Rational; PixelXDimension:Integer; PixelYDimension:Integer; UserComment:Lang Alt;
 RelatedSoundFile:Text; DateTimeOriginal:Date; DateTimeDigitized:Date; ExposureTime:Rational; FNumber:Rational;
 ExposureProgram:Integer; SpectralSensitivity:Text; ISOSpeedRatings:Seq Integer; OECF:OECF/SFR;
 ShutterSpeedValue:Rational; ApertureValue:Rational; BrightnessValue:Rational; ExposureBiasValue:Rational;
 MaxApertureValue:Rational; SubjectDistance:Rational; MeteringMode:Integer; LightSource:Integer; Flash:Flash;
 FocalLength:Rational; SubjectArea:Seq Integer; FlashEnergy:Rational; SpatialFrequencyResponse:OECF/SFR;
 FocalPlaneXResolution:Rational; FocalPlaneYResolution:Rational; FocalPlaneResolutionUnit:Integer;
 SubjectLocation:Seq Integer; ExposureIndex:Rational; SensingMethod:Integer; FileSource:Integer;
 SceneType:Integer; CFAPattern:CFAPattern; CustomRendered:Integer; ExposureMode:Integer; WhiteBalance:Integer;
 DigitalZoomRatio:Rational; FocalLengthIn35mmFilm:Integer; SceneCaptureType:Integer; GainControl:Integer;
 Contrast:Integer; Saturation:Integer; Sharpness:Integer; DeviceSettingDescription:DeviceSettings;
 SubjectDistanceRange:Integer; ImageUniqueID:Text; GPSVersionID:Text; GPSLatitude:GPSCoordinate;
 GPSLongitude:GPSCoordinate; GPSAltitudeRef:Integer; GPSAltitude:Rational; GPSTimeStamp:Date; GPSSatellites:Text;
 GPSStatus:Text; GPSMeasureMode:Integer; GPSDOP:Rational; GPSSpeedRef:Text; GPSSpeed:Rational; GPSTrackRef:Text;
 GPSTrack:Rational; GPSImgDirectionRef:Text; GPSImgDirection:Rational; GPSMapDatum:Text;
 GPSDestLatitude:GPSCoordinate; GPSDestLongitude:GPSCoordinate; GPSDestBearingRef:Text; GPSDestBearing:Rational;
 GPSDestDistanceRef:Text; GPSDestDistance:Rational; GPSProcessingMethod:Text; GPSAreaInformation:Text;
 GPSDifferential:Integer; MakerNote:Text""")

SCHEMAS_2004: dict[str, dict[str, str]] = {
    DC: _table("""contributor:Bag ProperName; coverage:Text; creator:Seq ProperName; date:Seq Date;
        description:Lang Alt; format:MIMEType; identifier:Text; language:Bag Locale; publisher:Bag ProperName;
        relation:Bag Text; rights:Lang Alt; source:Text; subject:Bag Text; title:Lang Alt; type:Bag Text"""),
    XMP: _table("""Advisory:Bag XPath; BaseURL:URL; CreateDate:Date; CreatorTool:AgentName; Identifier:Bag Text;
        MetadataDate:Date; ModifyDate:Date; Nickname:Text; Thumbnails:Alt Thumbnail"""),
    XMP_RIGHTS: _table("""Certificate:URL; Marked:Boolean; Owner:Bag ProperName; UsageTerms:Lang Alt;
        WebStatement:URL"""),
    XMP_MM: _table("""DerivedFrom:ResourceRef; DocumentID:URI; History:Seq ResourceEvent; ManagedFrom:ResourceRef;
        Manager:AgentName; ManageTo:URI; ManageUI:URI; ManagerVariant:Text; RenditionClass:RenditionClass;
        RenditionParams:Text; VersionID:Text; Versions:Seq Version; LastURL:URL; RenditionOf:ResourceRef;
        SaveID:Integer; InstanceID:URI"""),
    XMP_BJ: _table("JobRef:Bag Job"),
    XMP_TPG: _table("MaxPageSize:Dimensions; NPages:Integer"),
    PDF: _table("Keywords:Text; PDFVersion:Text; Producer:AgentName"),
    PHOTOSHOP: _table("""AuthorsPosition:Text; CaptionWriter:ProperName; Category:Text; City:Text; Country:Text;
        Credit:Text; DateCreated:Date; Headline:Text; Instructions:Text; Source:Text; State:Text;
        SupplementalCategories:Text; TransmissionReference:Text; Urgency:Integer"""),
    TIFF: _TIFF,
    EXIF: _EXIF,
    PDFAID: _table("part:Integer; conformance:Text; amd:Text"),
}

SCHEMAS_2005: dict[str, dict[str, str]] = {
    **SCHEMAS_2004,
    XMP: {**SCHEMAS_2004[XMP], **_table("Label:Text; Rating:Real")},
    XMP_MM: {**SCHEMAS_2004[XMP_MM], **_table("InstanceID:URI; OriginalDocumentID:URI")},
    XMP_TPG: {**SCHEMAS_2004[XMP_TPG], **_table("Fonts:Bag Font; Colorants:Seq Colorant; PlateNames:Seq Text")},
    PDF: {**SCHEMAS_2004[PDF], **_table("Trapped:Text")},
    PHOTOSHOP: {**SCHEMAS_2004[PHOTOSHOP],
                **_table("ColorMode:Integer; ICCProfile:Text; History:Text; SupplementalCategories:Bag Text")},
    AUX: _table("""Lens:Text; SerialNumber:Text; LensInfo:Text; LensID:Text; ImageNumber:Integer;
        FlashCompensation:Rational; Firmware:Text; OwnerName:ProperName"""),
    PDFAID: _table("part:Integer; conformance:Text; amd:Text; corr:Text"),
}
SCHEMAS_2005[XMP_DM] = _table("""projectRef:ProjectLink; videoFrameRate:Text; videoFrameSize:Dimensions;
    videoPixelAspectRatio:Rational; videoPixelDepth:Text; videoColorSpace:Text; videoAlphaMode:Text;
    videoAlphaPremultipleColor:Colorant; videoAlphaUnityIsTransparent:Boolean; videoCompressor:Text;
    videoFieldOrder:Text; pullDown:Text; audioSampleRate:Integer; audioSampleType:Text; audioChannelType:Text;
    audioCompressor:Text; speakerPlacement:Text; fileDataRate:Rational; tapeName:Text; altTapeName:Text;
    startTimecode:Timecode; altTimecode:Timecode; duration:Time; scene:Text; shotName:Text; shotDate:Date;
    shotLocation:Text; logComment:Text; markers:Seq Marker; contributedMedia:Bag Media;
    absPeakAudioFilePath:URI; relativePeakAudioFilePath:URI; videoModDate:Date; audioModDate:Date;
    metadataModDate:Date; artist:Text; album:Text; trackNumber:Integer; genre:Text; copyright:Text;
    releaseDate:Date; composer:Text; engineer:Text; tempo:Real; instrument:Text; introTime:Time; outCue:Time;
    relativeTimestamp:Time; loop:Boolean; numberOfBeats:Real; key:Text; stretchMode:Text;
    timeScaleParams:timeScaleStretch; resampleParams:resampleStretch; beatSpliceParams:beatSpliceStretch;
    timeSignature:Text; scaleType:Text""")
SCHEMAS_2005[CRS] = _table("""AutoBrightness:Boolean; AutoContrast:Boolean; AutoExposure:Boolean;
    AutoShadows:Boolean; BlueHue:Integer; BlueSaturation:Integer; Brightness:Integer; CameraProfile:Text;
    ChromaticAberrationB:Integer; ChromaticAberrationR:Integer; ColorNoiseReduction:Integer; Contrast:Integer;
    CropTop:Real; CropLeft:Real; CropBottom:Real; CropRight:Real; CropAngle:Real; CropWidth:Real;
    CropHeight:Real; CropUnits:Integer; Exposure:Real; GreenHue:Integer; GreenSaturation:Integer;
    HasCrop:Boolean; HasSettings:Boolean; LuminanceSmoothing:Integer; RawFileName:Text; RedHue:Integer;
    RedSaturation:Integer; Saturation:Integer; Shadows:Integer; ShadowTint:Integer; Sharpness:Integer;
    Temperature:Integer; Tint:Integer; ToneCurve:Seq Text; ToneCurveName:Text; Version:Text;
    VignetteAmount:Integer; VignetteMidpoint:Integer; WhiteBalance:Text""")
# No schema of XMP 2005 is accepted by namespace alone: every property has a declared type.
OPEN_2005: frozenset[str] = frozenset()

STRUCTS: dict[str, tuple[str, dict[str, str]]] = {
    "Dimensions": ("http://ns.adobe.com/xap/1.0/sType/Dimensions#", _table("w:Real; h:Real; unit:Text")),
    "ResourceRef": ("http://ns.adobe.com/xap/1.0/sType/ResourceRef#", _table(
        """instanceID:URI; documentID:URI; versionID:Text; renditionClass:RenditionClass; renditionParams:Text;
        manager:AgentName; managerVariant:Text; manageTo:URI; manageUI:URI; lastModifyDate:Date;
        originalDocumentID:URI; filePath:URI; fromPart:Text; toPart:Text; maskMarkers:Text; partMapping:Text;
        alternatePaths:Seq URI""")),
    "ResourceEvent": ("http://ns.adobe.com/xap/1.0/sType/ResourceEvent#", _table(
        "action:Text; instanceID:URI; parameters:Text; softwareAgent:AgentName; when:Date; changed:Text")),
    "Version": ("http://ns.adobe.com/xap/1.0/sType/Version#", _table(
        "comments:Text; event:ResourceEvent; modifyDate:Date; modifier:ProperName; version:Text")),
    "Job": ("http://ns.adobe.com/xap/1.0/sType/Job#", _table("name:Text; id:Text; url:URL")),
    "Thumbnail": ("http://ns.adobe.com/xap/1.0/g/img/", _table("height:Integer; width:Integer; format:Text; image:Text")),
    "Font": ("http://ns.adobe.com/xap/1.0/sType/Font#", _table(
        """fontName:Text; fontFamily:Text; fontFace:Text; fontType:Text; versionString:Text; composite:Boolean;
        fontFileName:Text; childFontFiles:Seq Text""")),
    "Colorant": ("http://ns.adobe.com/xap/1.0/g/", _table(
        "swatchName:Text; mode:Text; type:Text; cyan:Real; magenta:Real; yellow:Real; black:Real; red:Integer; "
        "green:Integer; blue:Integer; L:Real; A:Integer; B:Integer")),
    "Flash": (EXIF, _table("Fired:Boolean; Return:Integer; Mode:Integer; Function:Boolean; RedEyeMode:Boolean")),
    "OECF/SFR": (EXIF, _table("Columns:Integer; Rows:Integer; Names:Seq Text; Values:Seq Rational")),
    "CFAPattern": (EXIF, _table("Columns:Integer; Rows:Integer; Values:Seq Integer")),
    "DeviceSettings": (EXIF, _table("Columns:Integer; Rows:Integer; Settings:Seq Text")),
    "ProjectLink": (XMP_DM, _table("path:URI; type:Text")),
    "Timecode": (XMP_DM, _table("timeValue:Text; timeFormat:Text")),
    "Time": (XMP_DM, _table("value:Integer; scale:Rational")),
    "Marker": (XMP_DM, _table("startTime:Text; duration:Text; comment:Text; name:Text; location:URI; "
                              "target:Text; type:Text")),
    "Media": (XMP_DM, _table("path:URI; track:Text; startTime:Time; duration:Time; managed:Boolean; "
                             "webStatement:URI")),
    "beatSpliceStretch": (XMP_DM, _table("useFileBeatsMarker:Boolean; riseInDecibel:Real; riseInTimeDuration:Time")),
    "resampleStretch": (XMP_DM, _table("quality:Text")),
    "timeScaleStretch": (XMP_DM, _table("quality:Text; frameSize:Real; frameOverlappingPercentage:Real")),
}

_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?")
_RATIONAL = re.compile(r"[+-]?\d+/[+-]?\d+")
_GPS = re.compile(r"\d{1,3},\d{1,2}(,\d{1,2}|\.\d+)[NSEW]")
_SIMPLE = {
    "Integer": re.compile(r"[+-]?\d+"),
    "Real": re.compile(r"[+-]?(\d+\.?\d*|\.\d+)"),
    "Boolean": re.compile(r"True|False"),
    "Date": _DATE,
    "Rational": _RATIONAL,
    "GPSCoordinate": _GPS,
}
_TEXTLIKE = frozenset({"Text", "URI", "URL", "AgentName", "ProperName", "MIMEType", "Locale", "RenditionClass",
                       "XPath", "Choice", "GUID"})


def value_ok(value: tuple[Any, ...], typ: str, custom: dict[str, dict[str, str]] | None = None) -> bool:
    """Whether an XMP value has the shape and lexical form of ``typ``."""
    typ = typ.strip()
    kind = value[0]
    if typ in ("Lang Alt", "LangAlt"):
        return (kind == "array" and value[1] == "Alt" and all(v[0] == "simple" for v in value[2])
                and all(lang for lang in value[3]))
    for arr in ("Bag", "Seq", "Alt"):
        if typ.startswith(arr + " "):
            if kind != "array" or value[1] != arr:
                return False
            inner = typ[len(arr) + 1:]
            return all(value_ok(v, inner, custom) for v in value[2])
    if typ in _SIMPLE:
        return kind == "simple" and bool(_SIMPLE[typ].fullmatch(str(value[1]).strip()))
    if typ in _TEXTLIKE or typ.startswith(("Closed Choice", "Open Choice")):
        if typ.startswith(("Closed Choice of ", "Open Choice of ")):
            return value_ok(value, typ.split(" of ", 1)[1], custom)
        return kind == "simple"
    struct = STRUCTS.get(typ)
    declared = False  # an extension schema's own value type
    if struct is None and custom is not None and typ in custom:
        struct, declared = ("", custom[typ]), True
    if struct is not None:
        if kind != "struct":
            return False
        _ns, fields = struct
        for (_fns, fname), fval in value[1].items():
            ftype = fields.get(fname)
            if ftype is None:
                if declared:  # a field its pdfaType:field does not describe
                    return False
                continue
            if not value_ok(fval, ftype, custom):
                return False
        return True
    return kind == "simple" or kind == "struct"
