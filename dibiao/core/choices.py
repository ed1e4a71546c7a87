from django.db import models


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县"


class BoundarySource(models.TextChoices):
    FIXTURE = "fixture", "随系统提供"
    UPLOADED = "uploaded", "管理员上传"


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    TRANSITION = "transition", "状态变更"
    LOGIN = "login", "登录成功"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出登录"
    EXPORT = "export", "导出"
    IMPORT = "import", "导入"
    PERMISSION_GRANT = "permission_grant", "授予角色"
    PERMISSION_REVOKE = "permission_revoke", "撤销角色"
    UNLOCK = "unlock", "解锁账号"
    POLICY_CHANGE = "policy_change", "修改安全策略"
    VIEW_SENSITIVE = "view_sensitive", "查看敏感信息"


class JobStatus(models.TextChoices):
    """A background job's status (label files, report files): queued → running → done or
    failed."""

    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
