"""Primary-backup replication for quorumsim: the example protocol of docs/writing-a-protocol.md."""

from primary_backup.protocol import PrimaryBackup, PrimaryBackupParams

__all__ = ["PrimaryBackup", "PrimaryBackupParams"]
