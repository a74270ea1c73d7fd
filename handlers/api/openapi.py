"""The OpenAPI 3.0 document of /api/v1, built from the record specs (the same columns that parse the input), so
a column added to a spec appears here with its type, its Chinese header as description and its choices."""
from __future__ import annotations

from handlers.api.kinds import KINDS, REPORT_LINE_FIELDS, ApiKind
from handlers.api.routes import DEFAULT_LIMIT, MAX_LIMIT
from handlers.api.shapes import REFERENCES
from handlers.records.spec import PARSERS, TYPE_HELP, CellError, Column

BASE = "/api/v1"
MAX_FEN = 10 ** 14 - 1  # bot.money.MAX_YUAN in fen, less one
ERRORS = {"400": "请求参数不正确", "401": "缺少令牌，或令牌无效、已吊销", "403": "只读令牌不能写入",
          "404": "没有这条记录", "409": "状态不允许（如收据已作废）", "413": "请求内容过大",
          "415": "请求内容不是 JSON", "422": "数据有错误，均未写入（按 items 逐项说明）", "429": "请求过于频繁（见 Retry-After）"}
EXTRA_TYPES = {"created_at": "datetime", "voided_at": "datetime", "filed_at": "datetime", "status": "string",
               "receipt_no": "string", "account": "string", "credit_fen": "money", "void_reason": "string"}


def _column_schema(column: Column) -> dict:
    kind = column.type
    schema: dict = {"type": "string"}
    if kind == "text":
        schema["maxLength"] = column.max_len
    elif kind in ("int",):
        schema = {"type": "integer"}
    elif kind == "money":
        schema = {"type": "integer", "minimum": -MAX_FEN if column.signed else 0, "maximum": MAX_FEN}
    elif kind == "rate":
        schema = {"type": "integer", "minimum": 0, "maximum": 10000}
    elif kind == "date":
        schema["format"] = "date"
    elif kind == "period":
        schema["pattern"] = "^[0-9]{4}-(0[1-9]|1[0-2])$"
    elif kind == "enum":
        schema["enum"] = list(column.choices)
    elif kind == "bool":
        schema = {"type": "boolean"}
    elif kind == "tags":
        schema = {"type": "array", "items": {"type": "string", "maxLength": 20}}
    unit = {"money": "（整数，单位：分）", "rate": "（整数，单位：万分之一，1300 = 13%）"}.get(kind, "")
    choices = f"；可选：{'、'.join(f'{k}={v}' for k, v in column.choices.items())}" if column.choices else ""
    help_text = f"；{column.help}" if column.help else ""
    schema["description"] = f"{column.header}{unit}：{TYPE_HELP.get(kind, '')}{choices}{help_text}"
    if not column.required:
        schema["nullable"] = True
    return schema


def _example(column: Column):
    """The template's example cell as the API writes it: read by the column's own parser (a reference stays text)."""
    if column.type in REFERENCES or not column.example:
        return column.example
    try:
        value = PARSERS[column.type](column, column.example, None)
    except CellError:
        return column.example
    return value.isoformat() if hasattr(value, "isoformat") else value


def write_schema(kind: ApiKind) -> dict:
    """One object of a PUT/POST: the spec's fields, its required columns required, the template's example."""
    columns = kind.spec.columns
    return {"type": "object", "additionalProperties": False,
            "required": [c.field for c in columns if c.required],
            "properties": {c.field: _column_schema(c) for c in columns},
            "example": {c.field: _example(c) for c in columns if c.example or c.required},
            "description": kind.spec.note}


def read_schema(kind: ApiKind) -> dict:
    """A stored record as GET shows it: id, the stored spec fields (references also as <field>_id), extras."""
    props: dict = {"id": {"type": "integer"}}
    for column in kind.spec.columns:
        if column.field not in kind.model._meta.fields:
            continue
        props[column.field] = {**_column_schema(column), "nullable": True}
        if column.type in REFERENCES:
            props[f"{column.field}_id"] = {"type": "integer", "nullable": True}
    for name in kind.extras:
        props[name] = _extra(name)
    return {"type": "object", "properties": props}


def _extra(name: str) -> dict:
    if name == "lines":
        line = {"type": "object", "properties": {field: {} for field in REPORT_LINE_FIELDS}}
        return {"type": "array", "items": line, "description": "报表各行：行次、项目、金额（分）、类别、是否合计行"}
    kind = EXTRA_TYPES.get(name, "string")
    if kind == "datetime":
        return {"type": "string", "format": "date-time", "nullable": True}
    if kind == "money":
        return {"type": "integer", "nullable": True}
    return {"type": "string", "nullable": True}


def _json(schema: dict, description: str = "成功") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict:
    ref = {"$ref": "#/components/schemas/Error"}
    return {code: _json(ref, ERRORS[code]) for code in ("401", "429", *codes)}


def _write_op(kind: ApiKind, summary: str) -> dict:
    body = {"type": "array", "maxItems": 500, "items": {"$ref": f"#/components/schemas/{kind.name}_write"}}
    return {"summary": summary, "operationId": f"{'upsert' if kind.upsert else 'create'}_{kind.name}",
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"200": _json({"$ref": "#/components/schemas/WriteResult"}),
                          **_errors("400", "403", "413", "415", "422")}}


def _paths_of(kind: ApiKind) -> dict:
    title, ref = kind.spec.title, {"$ref": f"#/components/schemas/{kind.name}"}
    page = {"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": ref}, "next_cursor": {"type": "string", "nullable": True}}}
    listing = {"summary": f"{title}列表（按 id 升序，游标分页）", "operationId": f"list_{kind.name}",
               "parameters": [
                   {"name": "cursor", "in": "query", "schema": {"type": "string"},
                    "description": "上一页返回的 next_cursor；不填为第一页"},
                   {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                               "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}}],
               "responses": {"200": _json(page), **_errors("400")}}
    collection = {"get": listing}
    if kind.upsert:
        collection["put"] = _write_op(kind, f"按自然键新增或更新{title}（全部成功或全部不写入）")
    else:
        collection["post"] = _write_op(kind, f"登记{title}（已登记的同一笔视为 unchanged，不会修改）")
    one = {"get": {"summary": f"一条{title}", "operationId": f"get_{kind.name}",
                   "parameters": [{"name": "id", "in": "path", "required": True,
                                   "schema": {"type": "integer", "minimum": 1}}],
                   "responses": {"200": _json(ref), **_errors("400", "404")}}}
    return {f"{BASE}/{kind.name}": collection, f"{BASE}/{kind.name}/{{id}}": one}


def _void_path() -> dict:
    body = {"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string", "maxLength": 100, "description": "作废原因"}}}
    return {"post": {"summary": "作废收款（收据号保留，冲抵的应收恢复）", "operationId": "void_payment",
                     "parameters": [{"name": "receipt_no", "in": "path", "required": True,
                                     "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{6}$"}}],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                     "responses": {"200": _json({"$ref": "#/components/schemas/payments"}),
                                   **_errors("400", "403", "404", "409", "413", "415", "422")}}}


COMMON = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "index": {"type": "integer", "nullable": True}, "field": {"type": "string", "nullable": True},
                "header": {"type": "string", "nullable": True}, "message": {"type": "string"}}}}}}}},
    "WriteResult": {"type": "object", "properties": {
        "created": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "index": {"type": "integer"}, "action": {"type": "string", "enum": ["created", "updated", "unchanged"]},
            "id": {"type": "integer", "nullable": True}, "receipt_no": {"type": "string"}}}}}},
}


def document(public_url: str = "") -> dict:
    """The whole OpenAPI 3.0.3 document."""
    paths, schemas = {}, dict(COMMON)
    for kind in KINDS.values():
        paths.update(_paths_of(kind))
        schemas[kind.name] = read_schema(kind)
        schemas[f"{kind.name}_write"] = write_schema(kind)
    paths[f"{BASE}/payments/{{receipt_no}}/void"] = _void_path()
    return {
        "openapi": "3.0.3",
        "info": {"title": "账房 接口 / Zhangfang API", "version": "1",
                 "description": "代账公司记账系统对接接口。令牌由管理员在后台「接口令牌」创建（只读或读写）。"
                                "金额为整数（分），税率为整数（万分之一）；引用客户写税号或完整名称，员工写姓名或手机号，"
                                "合同写合同编号。写入按自然键新增或更新，全部成功或全部不写入。"},
        **({"servers": [{"url": public_url}]} if public_url else {}),
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": paths,
    }
