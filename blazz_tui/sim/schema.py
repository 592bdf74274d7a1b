"""Laravel 11's queue tables and Blazz's ``whatsapp_accounts`` and ``chats``, for
MySQL/MariaDB and SQLite.

Used by the simulated stack and by the tests to build a database shaped like a real Blazz one:
``jobs`` has exactly one secondary index (on ``queue``), as Laravel's migration creates it;
``chats`` has seed 003's columns and indexes, none of them on ``sent_at``.
"""

from __future__ import annotations

MYSQL = (
    """CREATE TABLE IF NOT EXISTS jobs (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        queue VARCHAR(255) NOT NULL,
        payload LONGTEXT NOT NULL,
        attempts TINYINT UNSIGNED NOT NULL,
        reserved_at INT UNSIGNED NULL,
        available_at INT UNSIGNED NOT NULL,
        created_at INT UNSIGNED NOT NULL,
        KEY jobs_queue_index (queue)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE IF NOT EXISTS failed_jobs (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        uuid VARCHAR(255) NOT NULL,
        connection TEXT NOT NULL,
        queue TEXT NOT NULL,
        payload LONGTEXT NOT NULL,
        exception LONGTEXT NOT NULL,
        failed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        UNIQUE KEY failed_jobs_uuid_unique (uuid)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE IF NOT EXISTS whatsapp_accounts (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        uuid CHAR(36) NOT NULL,
        workspace_id BIGINT UNSIGNED NOT NULL,
        session_id VARCHAR(255) NULL,
        phone_number VARCHAR(32) NULL,
        provider_type VARCHAR(32) NOT NULL DEFAULT 'webjs',
        status VARCHAR(32) NOT NULL DEFAULT 'disconnected',
        assigned_instance_url VARCHAR(255) NULL,
        is_primary TINYINT(1) NOT NULL DEFAULT 0,
        last_activity_at TIMESTAMP NULL,
        created_at TIMESTAMP NULL,
        updated_at TIMESTAMP NULL,
        UNIQUE KEY whatsapp_accounts_uuid_unique (uuid),
        KEY idx_workspace_status (workspace_id, status),
        KEY idx_session_id (session_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE IF NOT EXISTS chats (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        workspace_id BIGINT UNSIGNED NOT NULL,
        whatsapp_account_id BIGINT UNSIGNED NULL,
        contact_phone VARCHAR(32) NULL,
        chat_type ENUM('private', 'group') NOT NULL DEFAULT 'private',
        provider_type VARCHAR(32) NOT NULL DEFAULT 'webjs',
        last_message TEXT NULL,
        message_status ENUM('pending', 'sent', 'delivered', 'read', 'failed')
            NOT NULL DEFAULT 'pending',
        sent_at TIMESTAMP NULL,
        delivered_at TIMESTAMP NULL,
        last_message_at TIMESTAMP NULL,
        unread_count INT UNSIGNED NOT NULL DEFAULT 0,
        created_at TIMESTAMP NULL,
        updated_at TIMESTAMP NULL,
        KEY idx_account_recent (whatsapp_account_id, last_message_at),
        KEY idx_workspace_chat_type (workspace_id, chat_type),
        KEY idx_unread (unread_count)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
)

SQLITE = (
    """CREATE TABLE IF NOT EXISTS jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        queue VARCHAR NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        reserved_at INTEGER,
        available_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_queue_index ON jobs (queue)",
    """CREATE TABLE IF NOT EXISTS failed_jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        uuid VARCHAR NOT NULL,
        connection TEXT NOT NULL,
        queue TEXT NOT NULL,
        payload TEXT NOT NULL,
        exception TEXT NOT NULL,
        failed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS failed_jobs_uuid_unique ON failed_jobs (uuid)",
    """CREATE TABLE IF NOT EXISTS whatsapp_accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        uuid VARCHAR NOT NULL,
        workspace_id INTEGER NOT NULL,
        session_id VARCHAR,
        phone_number VARCHAR,
        provider_type VARCHAR NOT NULL DEFAULT 'webjs',
        status VARCHAR NOT NULL DEFAULT 'disconnected',
        assigned_instance_url VARCHAR,
        is_primary INTEGER NOT NULL DEFAULT 0,
        last_activity_at DATETIME,
        created_at DATETIME,
        updated_at DATETIME
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS whatsapp_accounts_uuid_unique ON whatsapp_accounts (uuid)",
    "CREATE INDEX IF NOT EXISTS idx_session_id ON whatsapp_accounts (session_id)",
    """CREATE TABLE IF NOT EXISTS chats (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        workspace_id INTEGER NOT NULL,
        whatsapp_account_id INTEGER,
        contact_phone VARCHAR,
        chat_type VARCHAR NOT NULL DEFAULT 'private',
        provider_type VARCHAR NOT NULL DEFAULT 'webjs',
        last_message TEXT,
        message_status VARCHAR NOT NULL DEFAULT 'pending',
        sent_at DATETIME,
        delivered_at DATETIME,
        last_message_at DATETIME,
        unread_count INTEGER NOT NULL DEFAULT 0,
        created_at DATETIME,
        updated_at DATETIME
    )""",
    "CREATE INDEX IF NOT EXISTS idx_account_recent ON chats (whatsapp_account_id, "
    "last_message_at)",
)


def statements(engine: str) -> tuple[str, ...]:
    """The CREATE statements for ``mysql`` or ``sqlite``."""
    return {"mysql": MYSQL, "sqlite": SQLITE}[engine]
