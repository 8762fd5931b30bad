"""Protocols written as SimPy processes (`adapter`), and the article's protocol in that form
(`seed`, registered as ``seed-process`` through the ``quorumsim.protocols`` entry point)."""

from sim.process.adapter import Inbox, Message, Node, Process, ProcessProtocol

__all__ = ["Inbox", "Message", "Node", "Process", "ProcessProtocol"]
