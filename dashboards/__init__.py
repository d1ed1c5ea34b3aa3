"""Dashboards as code (Metabase specs, sync client), offline render, monthly report and finance export."""
