"""XMP values checked against their declared types: EXIF GPSMeasureMode is an Integer (XMP 2004/2005), and a
value of an extension schema's own type holds only the fields its pdfaType:field describes."""

from __future__ import annotations

from pathlib import Path

import pytest

from printgate.core.validation import validate_file
from tests.core.validation.pdfs import make_pdfa
from tests.core.validation.test_rules import failed

EXIF = """
  <rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/">
   <exif:GPSMeasureMode>{}</exif:GPSMeasureMode>
  </rdf:Description>"""

EXTENSION = """
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#"
    xmlns:pdfaType="http://www.aiim.org/pdfa/ns/type#" xmlns:pdfaField="http://www.aiim.org/pdfa/ns/field#">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>Job schema</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>http://example.org/job/</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>job</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
     <pdfaProperty:name>ticket</pdfaProperty:name>
     <pdfaProperty:valueType>Ticket</pdfaProperty:valueType>
     <pdfaProperty:category>internal</pdfaProperty:category>
     <pdfaProperty:description>The print ticket</pdfaProperty:description>
    </rdf:li></rdf:Seq></pdfaSchema:property>
    <pdfaSchema:valueType><rdf:Seq><rdf:li rdf:parseType="Resource">
     <pdfaType:type>Ticket</pdfaType:type>
     <pdfaType:namespaceURI>http://example.org/ticket/</pdfaType:namespaceURI>
     <pdfaType:prefix>tkt</pdfaType:prefix>
     <pdfaType:description>A print ticket</pdfaType:description>{fields}
    </rdf:li></rdf:Seq></pdfaSchema:valueType>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:job="http://example.org/job/" xmlns:tkt="http://example.org/ticket/">
   <job:ticket rdf:parseType="Resource"><tkt:copies>3</tkt:copies></job:ticket>
  </rdf:Description>"""

COPIES_FIELD = """
     <pdfaType:field><rdf:Seq><rdf:li rdf:parseType="Resource">
      <pdfaField:name>copies</pdfaField:name>
      <pdfaField:valueType>Integer</pdfaField:valueType>
      <pdfaField:description>How many copies</pdfaField:description>
     </rdf:li></rdf:Seq></pdfaType:field>"""


@pytest.mark.parametrize(("value", "fails"), [("2", False), ("3", False), ("2.0", True), ("two", True)])
def test_gps_measure_mode_is_an_integer(tmp_path: Path, value: str, fails: bool) -> None:
    path = make_pdfa(tmp_path / "gps.pdf", xmp_extra=EXIF.format(value))
    assert ("6.7.9-3" in failed(validate_file(path, ["pdfa-1b"]))) is fails


@pytest.mark.parametrize(("fields", "fails"), [("", True), (COPIES_FIELD, False)])
def test_extension_value_type_fields_must_be_described(tmp_path: Path, fields: str, fails: bool) -> None:
    path = make_pdfa(tmp_path / "ext.pdf", part=2, xmp_extra=EXTENSION.format(fields=fields))
    got = failed(validate_file(path, ["pdfa-2b"]))
    assert ("6.6.2.3.1-2" in got) is fails
    assert not fails or got == {"6.6.2.3.1-2"}
